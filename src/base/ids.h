// Identifiers in the shapes AWS uses: request ids and UUIDs, 12-digit account
// ids, organization ids (o- + 10 chars), access key ids (AKIA/ASIA + 16),
// principal ids (AIDA/AROA + 17), secrets. All drawn from the OS CSPRNG
// (getrandom); thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace orgtrail {

// Fills `n` bytes from the kernel CSPRNG; aborts if the kernel refuses.
std::string RandomBytes(size_t n);
// xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx (random v4; its bytes come from a per-thread
// buffer of getrandom output, refilled 4 KB at a time and after a fork)
std::string NewUuid();
std::string NewAccountId();                                 // 12 digits, no leading zero
std::string NewOrganizationId();                            // o-[a-z0-9]{10}
std::string NewRootId();                                    // r-[a-z0-9]{4}
std::string NewAccessKeyId(std::string_view prefix);        // AKIA/ASIA + 16 [A-Z2-7]
std::string NewUniqueId(std::string_view prefix);           // AIDA/AROA/AKIA + 17 [A-Z2-7]
std::string NewSecretAccessKey();                           // 40 chars base64-ish
std::string RandomString(size_t n, std::string_view alphabet);

}  // namespace orgtrail
