import { start } from './service';

void start().then(({ url }) => console.log(`directory-bans listening on ${url}`));
