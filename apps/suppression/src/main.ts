import { runService } from '@kielto/platform';

void runService('suppression', () => import('./service'));
