import { runService } from '@kielto/platform';

void runService('consents', () => import('./service'));
