import { start } from './service';

void start().then(({ url }) => console.log(`suppression listening on ${url}`));
