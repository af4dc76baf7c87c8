// Errors live in the ground floor (libs/core); tools import them from here or from there.
export * from '@slidepipe/core';
