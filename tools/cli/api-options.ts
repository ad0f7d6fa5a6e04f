import { flag, text } from '../shared/args';

export const DEFAULT_URL = 'http://127.0.0.1:3005';

/** --url, --api-key and --json: the options of every command that asks the metrics API. */
export const API_OPTIONS = {
  url: text({
    placeholder: 'URL',
    description: 'metrics base URL',
    defaultText: `$METRICS_URL or ${DEFAULT_URL}`,
  }),
  apiKey: text({ placeholder: 'K', description: 'API key', defaultText: '$METRICS_API_KEY' }),
  json: flag({ description: 'print the raw JSON answer' }),
};
