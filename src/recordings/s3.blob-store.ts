/**
 * The production blob store: any S3-compatible object store (AWS S3, MinIO, Ceph RGW, ...). Sealed recordings
 * have no length until they end, so uploads go through lib-storage's multipart upload, which holds at most
 * `queueSize + 1` parts in memory and aborts the multipart upload when the body fails (nothing is left behind).
 * Credentials come from the standard AWS chain (environment, shared config, web identity, instance role).
 */
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { SigiloError } from '../errors.ts';
import { assertBlobKey, type BlobStore } from './blob-store.ts';

/** S3's smallest part size (except the last part). */
const MIN_PART_BYTES = 5 * 1024 * 1024;

export interface S3BlobStoreOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket, such as `recordings/`. */
  prefix?: string;
  /** Multipart part size (default and minimum 5 MiB). */
  partSize?: number;
  /** Parts uploaded in parallel (default 2): memory is about (queueSize + 1) × partSize. */
  queueSize?: number;
}

/** Settings of `SIGILO_S3_*` (see config.ts). */
export interface S3Settings {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  prefix: string;
}

/** Blobs as objects in one bucket. */
export class S3BlobStore implements BlobStore {
  readonly kind = 's3' as const;
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly prefix: string;
  private readonly partSize: number;
  private readonly queueSize: number;

  constructor(options: S3BlobStoreOptions) {
    this.client = options.client;
    this.bucket = options.bucket;
    this.prefix = options.prefix ?? '';
    this.partSize = Math.max(options.partSize ?? MIN_PART_BYTES, MIN_PART_BYTES);
    this.queueSize = options.queueSize ?? 2;
  }

  /** A store over a client built from Sigilo's S3 settings (`extra` is for tests: credentials, handlers). */
  static fromSettings(settings: S3Settings, extra: Partial<S3ClientConfig> = {}): S3BlobStore {
    const client = new S3Client({
      region: settings.region,
      forcePathStyle: settings.forcePathStyle,
      ...(settings.endpoint
        ? {
            endpoint: settings.endpoint,
            // Many S3-compatible servers reject the SDK's default CRC32 trailers; chunks carry their own
            // authentication tags, so the optional checksums add nothing there.
            requestChecksumCalculation: 'WHEN_REQUIRED' as const,
            responseChecksumValidation: 'WHEN_REQUIRED' as const,
          }
        : {}),
      ...extra,
    });
    return new S3BlobStore({ client, bucket: settings.bucket, prefix: settings.prefix });
  }

  async put(key: string, body: Readable): Promise<{ bytes: number }> {
    const counter = new ByteCounter();
    // Errors of `body` must reach the uploader, which then aborts the multipart upload.
    body.once('error', (err) => counter.destroy(err));
    const upload = new Upload({
      client: this.client,
      params: {
        Bucket: this.bucket,
        Key: this.objectKey(key),
        Body: body.pipe(counter),
        ContentType: 'application/octet-stream',
      },
      partSize: this.partSize,
      queueSize: this.queueSize,
      leavePartsOnError: false,
    });
    try {
      await upload.done();
    } catch (err) {
      // Stop reading the source: the upload is over either way.
      body.unpipe(counter);
      body.destroy();
      throw err;
    }
    return { bytes: counter.bytes };
  }

  async get(key: string): Promise<Readable> {
    try {
      const out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }),
      );
      if (!(out.Body instanceof Readable)) throw new Error('S3 GetObject returned no stream body');
      return out.Body;
    } catch (err) {
      if (isNotFound(err)) {
        throw new SigiloError('NOT_FOUND', 'recording blob not found', { resource: 'recording' });
      }
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    // S3 deletes are idempotent: a missing object answers 204 as well.
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
  }

  async exists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.objectKey(key) }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  private objectKey(key: string): string {
    assertBlobKey(key);
    return `${this.prefix}${key}`;
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return e.name === 'NoSuchKey' || e.name === 'NotFound' || e.$metadata?.httpStatusCode === 404;
}

class ByteCounter extends Transform {
  bytes = 0;
  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length;
    cb(null, chunk);
  }
}
