#ifndef AMAHOST_MOCKCLOUD_OPENSSL_HANDLES_H_
#define AMAHOST_MOCKCLOUD_OPENSSL_HANDLES_H_

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>

namespace mockcloud {

// RAII owners for the OpenSSL handles mockcloud uses: a std::unique_ptr whose deleter is the
// matching *_free function.
template <typename T, void (*Free)(T*)>
struct OpensslDeleter {
  void operator()(T* handle) const { Free(handle); }
};
template <typename T, void (*Free)(T*)>
using OpensslPtr = std::unique_ptr<T, OpensslDeleter<T, Free>>;

using PkeyPtr = OpensslPtr<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = OpensslPtr<X509, X509_free>;
using X509ExtensionPtr = OpensslPtr<X509_EXTENSION, X509_EXTENSION_free>;
using X509StorePtr = OpensslPtr<X509_STORE, X509_STORE_free>;
using X509StoreCtxPtr = OpensslPtr<X509_STORE_CTX, X509_STORE_CTX_free>;
using BioPtr = OpensslPtr<BIO, BIO_free_all>;
using BignumPtr = OpensslPtr<BIGNUM, BN_free>;
using GeneralNamesPtr = OpensslPtr<GENERAL_NAMES, GENERAL_NAMES_free>;

}  // namespace mockcloud

#endif  // AMAHOST_MOCKCLOUD_OPENSSL_HANDLES_H_
