import { ConfigValidationError } from './base-env';
import { EXIT_CONFIG, runService } from './run-service';

describe(runService.name, () => {
  let exit: jest.SpyInstance;
  let stderr: jest.SpyInstance;

  beforeEach(() => {
    exit = jest.spyOn(process, 'exit').mockImplementation((() => undefined) as never);
    stderr = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  });
  afterEach(() => jest.restoreAllMocks());

  it('prints only the words of a configuration error and exits with EX_CONFIG', async () => {
    const problem = 'Invalid configuration:\n  - LOG_LEVEL must be one of the following values: info';
    await runService('consents', () => Promise.reject(new ConfigValidationError(problem)));
    expect(stderr).toHaveBeenCalledWith(`consents: ${problem}\n`);
    expect(exit).toHaveBeenCalledWith(EXIT_CONFIG);
  });

  it('lets any other failure through', async () => {
    await expect(runService('consents', () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(exit).not.toHaveBeenCalled();
  });
});
