import { IsOptional, IsString } from 'class-validator';
import { BaseEnv } from '@kielto/platform';

export class ConsentsEnv extends BaseEnv {
  /** Base URL of unsubscribe links; defaults to this service's own address. */
  @IsOptional() @IsString() KIELTO_PUBLIC_URL?: string;
}
