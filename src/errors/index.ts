export { SnowlineError } from './snowline.error';
export { ValidationError, type FieldProblem } from './validation.error';
export { NotFoundError } from './not-found.error';
export { ConflictError } from './conflict.error';
export { ForbiddenError } from './forbidden.error';
export { ConfigError } from './config.error';
export { ConnectorError, type FailureClass } from './connector.error';
export { HourlyLimitError } from './hourly-limit.error';
