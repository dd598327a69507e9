import { Controller, Get, Header } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { buildAsyncApiDocument } from '@kielto/contracts';
import { Public } from '../auth/roles.decorator';
import { ServiceConfig } from '../config/service-config';
import { TOPIC_SPECS } from '../kafka/kafka.service';

/**
 * The AsyncAPI 3.0 document of every kielto topic (one document for the system, served by every service), beside
 * the OpenAPI document. Topics, partitions and cleanup policies are those the services create (TOPIC_SPECS); the
 * topic prefix and brokers are this deployment's.
 */
@ApiExcludeController()
@Controller('docs')
export class AsyncApiController {
  private readonly document: string;

  constructor(config: ServiceConfig) {
    this.document = JSON.stringify(
      buildAsyncApiDocument({
        topics: TOPIC_SPECS,
        topicPrefix: config.topicPrefix,
        brokers: config.env.KAFKA_BROKERS.split(',').map((b) => b.trim()),
      }),
    );
  }

  @Public()
  @Get('asyncapi.json')
  @Header('content-type', 'application/json; charset=utf-8')
  @Header('cache-control', 'no-cache')
  asyncapi(): string {
    return this.document;
  }
}
