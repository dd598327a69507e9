import { Controller, Get } from '@nestjs/common';

/** `npm start` and orchestrators wait for these; the console holds no connection of its own to check. */
@Controller('health')
export class ConsoleHealthController {
  @Get('live')
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  ready() {
    return { status: 'ok' };
  }
}
