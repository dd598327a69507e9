import { runService } from '@kielto/platform';

void runService('directory-bans', () => import('./service'));
