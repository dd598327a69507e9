import { runService } from '@kielto/platform';

void runService('console', () => import('./service'));
