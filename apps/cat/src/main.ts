import { tableFromArrays } from 'apache-arrow';
console.log(tableFromArrays({ a: [1, 2] }).numRows);
