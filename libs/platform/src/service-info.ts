/** Which service this process is; injected everywhere a name or default is service-specific. */
export interface ServiceInfo {
  /** kebab-case service name, also the metric prefix (with '-' as '_'). */
  name: string;
  defaultPort: number;
}

export const SERVICE_INFO = Symbol('SERVICE_INFO');

export function metricPrefix(service: string): string {
  return service.replace(/-/g, '_');
}
