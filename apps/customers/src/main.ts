import { runService } from '@kielto/platform';

void runService('customers', () => import('./service'));
