/**
 * Where Airlock serves a file: `<publicUrl>pypi/files/<project>/<version>/<filename>`. The path
 * names project, release and file, so the file route finds them without trusting anything else
 * the client sends; the bytes always come from the stored upstream URL and digest.
 */
export function fileUrl(publicUrl: URL, project: string, version: string, filename: string): string {
  return new URL(`pypi/files/${enc(project)}/${enc(version)}/${enc(filename)}`, publicUrl).href;
}

function enc(segment: string): string {
  return encodeURIComponent(segment);
}
