import { detectCsvFormat, missingCsvColumns } from './csv-header';

const REES46_HEADER =
  'event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session';

describe('detectCsvFormat', () => {
  it.each([
    [REES46_HEADER, 'rees46'],
    ['timestamp,visitorid,event,itemid,transactionid', 'retailrocket'],
    ['timestamp,visitorid,event,itemid,transactionid,datetime', 'retailrocket'],
    ['Timestamp,User_ID,Clicks', 'clicks'],
    ['timestamp,user_id,clicks', 'clicks'],
    [' Timestamp , User_ID , Clicks ', 'clicks'],
    ['user_id,Clicks,Timestamp,page', 'clicks'],
  ])('detects %j as %s', (header, format) => {
    expect(detectCsvFormat(header.split(','))).toBe(format);
  });

  it.each([
    'eventId,eventType,timestamp,ipaddress,sessionId,userId,pageUrl,browser,',
    'event_time,event_type,user_id',
    'timestamp,visitorid,event,itemid',
    '',
  ])('detects nothing for %j', (header) => {
    expect(detectCsvFormat(header.split(','))).toBeUndefined();
  });

  it('names the columns a header lacks', () => {
    expect(missingCsvColumns('rees46', ['event_time', 'EVENT_TYPE', 'user_id'])).toEqual([
      'product_id',
      'category_id',
      'category_code',
      'brand',
      'price',
      'user_session',
    ]);
  });
});
