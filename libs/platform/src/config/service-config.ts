import { BaseEnv } from './base-env';

/** Which service this process is; set once in each app's main.ts. */
export interface ServiceDescriptor {
  /** customers | consents | directory-bans | suppression */
  name: string;
  defaultPort: number;
}

export const SERVICE_DESCRIPTOR = Symbol('SERVICE_DESCRIPTOR');
export const SERVICE_ENV = Symbol('SERVICE_ENV');

/** Settings derived from the validated env that the platform itself needs. */
export class ServiceConfig {
  constructor(
    readonly service: ServiceDescriptor,
    readonly env: BaseEnv,
  ) {}

  get port(): number {
    return this.env.PORT ?? this.service.defaultPort;
  }

  get databaseName(): string {
    return `${this.env.MONGODB_DB_PREFIX}-${this.service.name}`;
  }

  get topicPrefix(): string {
    return this.env.KAFKA_TOPIC_PREFIX;
  }

  /** The physical topic (or consumer group) name for a contract name. */
  physical(name: string): string {
    return this.env.KAFKA_TOPIC_PREFIX + name;
  }

  get isProduction(): boolean {
    return this.env.NODE_ENV === 'production';
  }
}
