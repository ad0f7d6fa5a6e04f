/** Building the contract-v1 events the generator emits, from a normal or an injected event. */
import { ClickEventInput, EventType } from '@clickstream/contracts';
import { Product } from './catalogue';

/** What an emitted event says, before its id and formatted time are known. */
export interface EventContent {
  type: EventType;
  user: string;
  session: string;
  product?: Product;
  /** Defaults to the product's list price. */
  price?: number;
  quantity?: number;
  ip: string;
  country: string;
  ua: string;
  page: string;
  referrer?: string;
  query?: string;
}

/** The event, with its fields always in the same order (the stream is compared byte for byte). */
export function clickEvent(content: EventContent, id: string, time: string): ClickEventInput {
  const event: ClickEventInput = {
    event_id: id,
    event_time: time,
    event_type: content.type,
    user_id: content.user,
    session_id: content.session,
  };
  const product = content.product;
  if (product) {
    event.product_id = product.id;
    event.category_id = product.category.id;
    event.category_code = product.category.code;
    event.brand = product.brand;
    event.price = content.price ?? product.price;
    if (content.quantity !== undefined) event.quantity = content.quantity;
    event.currency = 'USD';
  }
  event.ip = content.ip;
  event.country = content.country;
  event.user_agent = content.ua;
  event.page_url = content.page;
  if (content.referrer) event.referrer = content.referrer;
  if (content.query) event.properties = { search_query: content.query };
  return event;
}
