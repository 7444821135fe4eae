import { describe, expect, it } from 'vitest';
import { loadConfig, redactUrl } from '../../src/config.js';

describe('storage engine settings', () => {
  it('default to SQLite and files under AIRLOCK_STORAGE', () => {
    const config = loadConfig({});
    expect(config.databaseUrl).toBeNull();
    expect(config.blobStore).toEqual({ kind: 'file' });
    expect(config.s3Region).toBe('us-east-1');
    expect(config.s3ForcePathStyle).toBe(false);
  });

  it('take a PostgreSQL URL and an S3 bucket with a prefix, endpoint, region and path style', () => {
    const config = loadConfig({
      AIRLOCK_DATABASE_URL: 'postgres://airlock:pw@db:5432/airlock',
      AIRLOCK_BLOB_STORE: 's3://airlock-artifacts/prod/mirror',
      AIRLOCK_S3_ENDPOINT: 'http://minio:9000',
      AIRLOCK_S3_REGION: 'eu-west-1',
      AIRLOCK_S3_FORCE_PATH_STYLE: 'true',
    });
    expect(config.databaseUrl).toBe('postgres://airlock:pw@db:5432/airlock');
    expect(config.blobStore).toEqual({ kind: 's3', bucket: 'airlock-artifacts', prefix: 'prod/mirror/' });
    expect(config.s3Endpoint?.href).toBe('http://minio:9000/');
    expect(config.s3Region).toBe('eu-west-1');
    expect(config.s3ForcePathStyle).toBe(true);
    expect(loadConfig({ AIRLOCK_BLOB_STORE: 's3://bucket' }).blobStore).toEqual({ kind: 's3', bucket: 'bucket', prefix: '' });
    expect(loadConfig({ AWS_REGION: 'ap-south-1' }).s3Region).toBe('ap-south-1');
  });

  it('list every bad storage setting at once, without echoing a database password', () => {
    let message = '';
    try {
      loadConfig({
        AIRLOCK_DATABASE_URL: 'mysql://root:hunter2@db/airlock',
        AIRLOCK_BLOB_STORE: 's3://Bad_Bucket/../x',
        AIRLOCK_S3_ENDPOINT: 'ftp://minio',
        AIRLOCK_S3_FORCE_PATH_STYLE: 'maybe',
      });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toContain('AIRLOCK_DATABASE_URL must be a postgres:// URL, or unset for SQLite');
    expect(message).not.toContain('hunter2');
    expect(message).toContain('AIRLOCK_BLOB_STORE names bucket "Bad_Bucket"');
    expect(message).toContain('AIRLOCK_S3_ENDPOINT must be an http(s) URL');
    expect(message).toContain('AIRLOCK_S3_FORCE_PATH_STYLE must be true or false');
    expect(() => loadConfig({ AIRLOCK_BLOB_STORE: 's3://bucket/a/../b' })).toThrow(/without \. or \.\./);
    expect(() => loadConfig({ AIRLOCK_DATABASE_URL: 'postgres://db' })).toThrow(/must name the database/);
    expect(redactUrl('postgres://a:secret@h/db')).toBe('postgres://a:***@h/db');
  });
});
