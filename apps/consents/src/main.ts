import { start } from './service';

void start().then(({ url }) => console.log(`consents listening on ${url}`));
