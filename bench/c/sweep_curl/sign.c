/* The Standard Webhooks signature: HMAC-SHA256 of "id.timestamp.body" with the signing secret. */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_curl.h"

static void base64(const unsigned char *in, int n, Buf *out) {
    unsigned char encoded[4 * ((EVP_MAX_MD_SIZE + 2) / 3) + 1];
    int length = EVP_EncodeBlock(encoded, in, n);
    put(out, (const char *)encoded, (size_t)length);
}

/* The key of a `whsec_<base64>` secret; its length, or -1. */
static int secret_key(const char *secret, unsigned char key[128]) {
    if (strncmp(secret, "whsec_", 6) == 0) secret += 6;
    size_t n = strlen(secret);
    if (n == 0 || n % 4 != 0 || n > 160) return -1;
    int length = EVP_DecodeBlock(key, (const unsigned char *)secret, (int)n);
    if (length < 0) return -1;
    if (secret[n - 1] == '=') length--;
    if (secret[n - 2] == '=') length--;
    return length;
}

void sign(const char *secret, const char *id, long long timestamp, const char *body, size_t body_len,
                 Buf *out) {
    unsigned char key[128];
    int key_len = secret_key(secret, key);
    if (key_len <= 0) return;
    char prefix[128];
    int prefix_len = snprintf(prefix, sizeof prefix, "%s.%lld.", id, timestamp);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned mac_len = 0;
    Buf content = {0};
    put(&content, prefix, (size_t)prefix_len);
    put(&content, body, body_len);
    HMAC(EVP_sha256(), key, key_len, (const unsigned char *)content.data, content.len, mac, &mac_len);
    free(content.data);
    puts_(out, "v1,");
    base64(mac, (int)mac_len, out);
}
