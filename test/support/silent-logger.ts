import { createLogger } from '../../shared/runtime/logger.js';

/** Real pino, quiet unless TEST_LOG_LEVEL asks for more. */
export const testLogger = createLogger(process.env['TEST_LOG_LEVEL'] ?? 'silent');
