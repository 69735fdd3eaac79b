/* Fixture for tests/reader.rs: claims the version the reader accepts. */
#define REDIS_VERSION "5.0.14"
