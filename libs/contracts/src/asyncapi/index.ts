export * from './asyncapi-document';
export * from './json-schema';
export { EVENT_EXAMPLES, FEED_EXAMPLE } from './examples';
