import { logLevel } from 'kafkajs';
import { kafkaLogLevel } from './kafka-log-level';

const response = (error: string) => ({
  level: logLevel.ERROR,
  log: { message: 'Response GroupCoordinator(key: 10, version: 2)', error, timestamp: '', logger: 'kafkajs' },
});

describe(kafkaLogLevel.name, () => {
  it.each([
    'The group coordinator is not available',
    'This server does not host this topic-partition',
    'There is no leader for this topic-partition as we are in the middle of a leadership election',
  ])('logs the retried broker state "%s" at debug', (error) => {
    expect(kafkaLogLevel(response(error))).toBe('debug');
  });

  it('logs the CreateTopics answer of a topic-creation race at debug (ensureTopics judges the thrown error)', () => {
    const race = {
      level: logLevel.ERROR,
      log: {
        message: 'Response CreateTopics(key: 19, version: 3)',
        error: 'Topic creation errors',
        timestamp: '',
        logger: 'kafkajs',
      },
    };
    expect(kafkaLogLevel(race)).toBe('debug');
  });

  it('keeps every other broker error at error level', () => {
    expect(kafkaLogLevel(response('Not authorized to access topics: [Topic authorization failed]'))).toBe('error');
    const crash = {
      level: logLevel.ERROR,
      log: { message: 'Crash: KafkaJSNumberOfRetriesExceeded', timestamp: '', logger: 'kafkajs' },
    };
    expect(kafkaLogLevel(crash)).toBe('error');
  });

  it('maps warn to warn and anything quieter to debug', () => {
    const log = { message: 'Consumer has joined the group', timestamp: '', logger: 'kafkajs' };
    expect(kafkaLogLevel({ level: logLevel.WARN, log })).toBe('warn');
    expect(kafkaLogLevel({ level: logLevel.INFO, log })).toBe('debug');
  });
});
