import { Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { validateEnv } from '@kielto/platform';
import { ConsoleExceptionFilter } from './console-exception.filter';
import { ConsoleEnv } from './console.env';
import { DeskController } from './desk/desk.controller';
import { ConsoleHealthController } from './health.controller';
import { KieltoClient } from './kielto/kielto-client';
import { PeopleController } from './people/people.controller';
import { PeopleService } from './people/people.service';
import { ConsoleSessions } from './session/console-session';
import { SignInController } from './signin/sign-in.controller';

@Module({
  controllers: [SignInController, PeopleController, DeskController, ConsoleHealthController],
  providers: [
    { provide: ConsoleEnv, useFactory: () => validateEnv(ConsoleEnv, process.env) },
    ConsoleSessions,
    KieltoClient,
    PeopleService,
    { provide: APP_FILTER, useClass: ConsoleExceptionFilter },
  ],
})
export class ConsoleModule {}
