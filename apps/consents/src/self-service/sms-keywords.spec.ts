import { smsKeyword } from './sms-keywords';

describe(smsKeyword.name, () => {
  it.each(['STOP', 'stop', ' Stop ', 'SEIS', 'seis\n', 'LOPETA', 'Lopeta', 'STOP!', 'seis.'])(
    'reads %j as stop',
    (text) => {
      expect(smsKeyword(text)).toBe('stop');
    },
  );

  it.each(['START', ' start '])('reads %j as start', (text) => {
    expect(smsKeyword(text)).toBe('start');
  });

  it.each(['', 'hello', 'STOP it', 'stopp', 'please stop', 'S T O P'])('ignores %j', (text) => {
    expect(smsKeyword(text)).toBe('unknown');
  });
});
