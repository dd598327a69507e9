import { start } from './service';

void start().then(({ url }) => console.log(`customers listening on ${url}`));
