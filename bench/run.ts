// `npm run bench [-- --duckdb] [options]`: the full-read benchmark (bench/read.ts: the connector beside the
// plain baseline pipeline), or with --duckdb the same read to /dev/null beside `sync` into DuckDB
// (bench/duckdb.ts). Each script reads its own options.
const duckdb = process.argv.includes('--duckdb');
process.argv = process.argv.filter((arg) => arg !== '--duckdb');
await (duckdb ? import('./duckdb.js') : import('./read.js'));
