-- Every encrypted value and look-up hash names the data key that made it, so the key can be changed
-- (`training keys rotate`). New values start with 01 and the 4-byte key id (training/core/crypto.py);
-- the values written before are marked here with a leading 00 ("legacy": made by the key in use until
-- now, which the service still holds and tries). Prefixing needs no key, so no value is decrypted here.
UPDATE people
   SET id_enc = decode('00', 'hex') || id_enc,
       id_hash = decode('00', 'hex') || id_hash,
       phone_enc = decode('00', 'hex') || phone_enc,
       phone_hash = decode('00', 'hex') || phone_hash;

UPDATE households SET phone_enc = decode('00', 'hex') || phone_enc WHERE phone_enc IS NOT NULL;
