// A stand-in for a real programmer (JTAG, serial bootloader, secure-element writer): it "burns" a
// unit by copying what it was given into a flash image file, <flashDir>/<serial>.img.
// usage: node fake-burner.mjs <flashDir> <serial> <cert> <key> <ca>
import fs from 'node:fs';
import path from 'node:path';

const [flashDir, serial, certFile, keyFile, caFile] = process.argv.slice(2);
if (!flashDir || !serial || !certFile || !keyFile || !caFile) {
  console.error('usage: fake-burner.mjs <flashDir> <serial> <cert> <key> <ca>');
  process.exit(2);
}
const image = [certFile, keyFile, caFile].map((file) => fs.readFileSync(file, 'utf8')).join('');
fs.writeFileSync(path.join(flashDir, `${serial}.img`), image, { mode: 0o600 });
console.log(`flashed ${serial} (${image.length} bytes)`);
