/** This Snowline's version (package.json `version`; a test holds the two equal). */
export const SNOWLINE_VERSION = '0.1.0';
