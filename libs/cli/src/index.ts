// Errors live in the ground floor (libs/core); tools import them from here or from there.
export * from '@slidepipe/core';
export * from './errors';
export * from './flags';
export * from './log';
export * from './tool';
