/* SPDX-License-Identifier: MIT */
/*
 * libcrypto (OpenSSL), loaded on first use (see lazy.h): its 17,000 start-up
 * relocations cost more than the rest of a short command. One thunk per
 * function core calls; a new call needs one line here. When libcrypto cannot
 * be loaded, EVP_MD_CTX_new returns NULL and the digest calls return 0.
 */
#include "config.h"
#include <openssl/evp.h>
#include "lazy.h"

struct bc_lazy_lib bc_lazy_crypto = { CRYPTO_SONAME, "libcrypto",
	"OpenSSL's libcrypto (apt-get install libssl-dev)", NULL, NULL, 0, "" };

#define FN(ret, name, params, args, fail) BC_LAZY_FN(bc_lazy_crypto, ret, name, params, args, fail)
#define VOID_FN(name, params, args) BC_LAZY_VOID(bc_lazy_crypto, name, params, args)

FN(EVP_MD_CTX *, EVP_MD_CTX_new, (void), (), NULL)
VOID_FN(EVP_MD_CTX_free, (EVP_MD_CTX *ctx), (ctx))
FN(int, EVP_DigestInit_ex, (EVP_MD_CTX *ctx, const EVP_MD *type, ENGINE *impl), (ctx, type, impl), 0)
FN(int, EVP_DigestUpdate, (EVP_MD_CTX *ctx, const void *d, size_t cnt), (ctx, d, cnt), 0)
FN(int, EVP_DigestFinal_ex, (EVP_MD_CTX *ctx, unsigned char *md, unsigned int *s), (ctx, md, s), 0)
FN(int, EVP_Digest, (const void *data, size_t count, unsigned char *md, unsigned int *size,
	const EVP_MD *type, ENGINE *impl), (data, count, md, size, type, impl), 0)
FN(const EVP_MD *, EVP_sha256, (void), (), NULL)
FN(EVP_MD *, EVP_MD_fetch, (OSSL_LIB_CTX *ctx, const char *algorithm, const char *properties),
	(ctx, algorithm, properties), NULL)
