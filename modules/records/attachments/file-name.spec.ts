import { describe, expect, it } from '@jest/globals';
import { cleanFileName, contentDisposition, MAX_FILE_NAME } from './file-name.js';

describe('cleanFileName', () => {
  it.each<[string, string | undefined, string]>([
    ['a plain name', 'consent form.pdf', 'consent form.pdf'],
    ['a path (Windows or Unix) keeps its last segment', 'C:\\Users\\x\\scan.pdf', 'scan.pdf'],
    ['a Unix path', '../../etc/passwd.pdf', 'passwd.pdf'],
    ['a right-to-left override that disguises an extension', 'photo\u202egpj.exe', 'photogpj.exe'],
    ['NUL and control characters', 'a\u0000b\u0007\u009fc.pdf', 'abc.pdf'],
    ['a lone surrogate', 'a\ud800.pdf', 'a.pdf'],
    ['Arabic (NFC kept)', 'استمارة.pdf', 'استمارة.pdf'],
    ['decomposed accents become composed', 'Re\u0301sume\u0301.pdf', 'Résumé.pdf'],
    ['runs of white space', '  a \t\n b.pdf  ', 'a b.pdf'],
    ['nothing at all', undefined, 'file.pdf'],
    ['only dots', '..', 'file.pdf'],
  ])('%s', (_name, raw, expected) => {
    expect(cleanFileName(raw, 'application/pdf')).toBe(expected);
  });

  it(`cuts long names to ${MAX_FILE_NAME} characters, keeping the extension`, () => {
    const name = cleanFileName(`${'é'.repeat(400)}.pdf`, 'application/pdf');
    expect([...name]).toHaveLength(MAX_FILE_NAME);
    expect(name.endsWith('.pdf')).toBe(true);
  });
});

describe('contentDisposition', () => {
  it('is always an attachment, with an ASCII fallback and the UTF-8 name', () => {
    expect(contentDisposition('report.pdf')).toBe(`attachment; filename="report.pdf"; filename*=UTF-8''report.pdf`);
    expect(contentDisposition('استمارة "1".pdf')).toBe(
      `attachment; filename="_______ _1_.pdf"; filename*=UTF-8''%D8%A7%D8%B3%D8%AA%D9%85%D8%A7%D8%B1%D8%A9%20%221%22.pdf`,
    );
  });

  it('cannot be broken out of (quotes, semicolons, CR/LF are encoded)', () => {
    const header = contentDisposition(`a"; filename="evil.html\r\nX-Injected: 1`);
    expect(header).not.toMatch(/[\r\n]/);
    expect(header.match(/"/g)).toHaveLength(2);
    expect(header).toContain(`filename*=UTF-8''a%22%3B%20filename%3D%22evil.html%0D%0AX-Injected%3A%201`);
  });
});
