import type { SigiloConfig } from '../config/config.ts';
import type { BlobStore } from './blob-store.ts';
import { FilesystemBlobStore } from './filesystem.blob-store.ts';

/** The configured blob store; the AWS SDK is loaded only when S3 is configured. */
export async function openBlobStore(
  settings: SigiloConfig['recordings']['store'],
  now: () => Date = () => new Date(),
): Promise<BlobStore> {
  if (settings.kind === 'filesystem') return FilesystemBlobStore.open(settings.dir, now);
  const { S3BlobStore } = await import('./s3.blob-store.ts');
  return S3BlobStore.fromSettings(settings);
}
