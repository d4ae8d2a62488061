/** The online stores end-to-end tests run on: the embedded default (the catalog's PGlite) and Redis (`make test` starts it). */
export const ONLINE_BACKENDS = [
  { name: 'embedded (catalog PGlite)', env: (): Record<string, string> => ({}) },
  {
    name: 'Redis',
    env: (): Record<string, string> => {
      const url = process.env['FEATURESTORE_TEST_REDIS_URL'];
      if (!url) throw new Error('FEATURESTORE_TEST_REDIS_URL is not set: run the tests with `make test` (it starts Redis)');
      return { FEATURESTORE_ONLINE_URL: url };
    },
  },
  {
    // The opt-in near cache: reads right after writes, reverts and TTL changes must see them as without it.
    name: 'Redis, near cache',
    env: (): Record<string, string> => {
      const url = process.env['FEATURESTORE_TEST_REDIS_URL'];
      if (!url) throw new Error('FEATURESTORE_TEST_REDIS_URL is not set: run the tests with `make test` (it starts Redis)');
      return { FEATURESTORE_ONLINE_URL: url, FEATURESTORE_ONLINE_CACHE_ENTRIES: '10000' };
    },
  },
];
