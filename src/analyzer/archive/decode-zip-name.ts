/**
 * cp437's upper half (0x80–0xFF), the code page CPython's zipfile decodes a name with when the
 * entry's UTF-8 flag (general purpose bit 11) is clear. The lower half is ASCII.
 */
const cp437High =
  'ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u00a0';

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a zip entry name the way pip does (CPython 3.11 `zipfile`): the raw header bytes, as
 * UTF-8 when the flag says so and cp437 otherwise. Extra fields such as the Info-ZIP Unicode
 * Path (0x7075) are ignored, as CPython ignores them. Returns null when a name flagged UTF-8 is
 * not valid UTF-8 (CPython refuses such an archive).
 */
export function decodeZipName(raw: Buffer, utf8Flag: boolean): string | null {
  if (utf8Flag) {
    try {
      return utf8.decode(raw);
    } catch {
      return null;
    }
  }
  let out = '';
  for (const byte of raw) out += byte < 0x80 ? String.fromCharCode(byte) : (cp437High[byte - 0x80] ?? '?'); // the table covers 0x80-0xff
  return out;
}

export interface ZipExtraField {
  id: number;
  data: Buffer;
}

/** Splits a raw extra-field block (as in a local file header) into its fields. */
export function parseExtraFields(extra: Buffer): ZipExtraField[] {
  const fields: ZipExtraField[] = [];
  for (let i = 0; i + 4 <= extra.length; ) {
    const size = extra.readUInt16LE(i + 2);
    fields.push({ id: extra.readUInt16LE(i), data: extra.subarray(i + 4, i + 4 + size) });
    i += 4 + size;
  }
  return fields;
}

/** The names carried by Info-ZIP Unicode Path extra fields (0x7075). */
export function unicodePathNames(fields: readonly ZipExtraField[]): string[] {
  // Version byte and the CRC of the header name come first. Any version and any CRC count:
  // some tool may read the field, and an archive that carries a second name is suspect.
  return fields.filter((f) => f.id === 0x7075 && f.data.length >= 5).map((f) => f.data.subarray(5).toString('utf8'));
}
