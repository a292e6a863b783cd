#include "validate/object_store_reader.h"

#include <algorithm>

#include "crypto/aead.h"
#include "kms/ciphertext.h"
#include "s3/sse_s3.h"

namespace orgtrail::validate {

Result<ListPage> ObjectStoreBucketReader::List(const std::string& bucket,
                                               const std::string& prefix,
                                               const std::string& marker,
                                               const std::string& delimiter) {
  ListPage page;
  std::string after = marker;
  // A marker that is a rolled-up prefix skips everything under it (S3 does
  // the same with NextMarker).
  if (!delimiter.empty() && marker.size() > prefix.size() && marker.ends_with(delimiter)) {
    after = marker + "\xff\xff\xff\xff";
  }
  int entries = 0;
  // With a delimiter, a listing restarts after the first key under each
  // rolled-up prefix, so a store page of page_size_ keys would be read for
  // one: folders are asked for in small pages, growing while plain keys
  // come.
  int want = delimiter.empty() ? page_size_ : std::min(page_size_, 8);
  while (entries < page_size_) {
    OT_ASSIGN_OR_RETURN(auto keys, store_.ListKeys(bucket, prefix, after, want));
    if (keys.empty()) return page;
    bool restarted = false;
    for (const std::string& key : keys) {
      if (!delimiter.empty()) {
        size_t at = key.find(delimiter, prefix.size());
        if (at != std::string::npos) {
          std::string common = key.substr(0, at + delimiter.size());
          page.common_prefixes.push_back(common);
          page.next_marker = common;
          ++entries;
          // Skip every other key under `common` (keys are UTF-8: no 0xff).
          after = common + "\xff\xff\xff\xff";
          restarted = true;
          break;
        }
      }
      page.keys.push_back(key);
      page.next_marker = key;
      after = key;
      if (++entries >= page_size_) break;
    }
    if (!restarted && static_cast<int>(keys.size()) < want) return page;
    if (!restarted) want = std::min(page_size_, want * 4);
  }
  page.truncated = true;
  return page;
}

Status ObjectStoreBucketReader::GetWhole(const std::string& bucket, const std::string& key,
                                         std::map<std::string, std::string>* metadata,
                                         std::string* bytes) {
  objstore::ObjectInfo info;
  if (Status got = store_.ReadLatest(bucket, key, &info, bytes); !got.ok()) {
    if (got.code() == "NoSuchKey" || got.code() == "NoSuchVersion") {
      return Status::Error("NoSuchKey", "The specified key does not exist.", 404);
    }
    return got;
  }
  if (info.meta.delete_marker) {
    return Status::Error("NoSuchKey", "The specified key does not exist.", 404);
  }
  if (metadata != nullptr) *metadata = std::move(info.meta.user_meta);
  const auto& attrs = info.meta.attributes;
  if (auto enc = attrs.find(s3::kAttrEncrypted); enc != attrs.end() && enc->second == "1") {
    auto sse = attrs.find(s3::kAttrSse);
    auto wrapped = attrs.find(s3::kAttrDataKey);
    const std::string where = "s3://" + bucket + "/" + key;
    auto cannot_open = [&] {
      return Status::Error("EncryptedObject",
                           where + " is encrypted with a key this reader cannot open (not in "
                                   "the data directory's keys): validate through the API instead");
    };
    if (sse == attrs.end() || wrapped == attrs.end()) return cannot_open();
    const std::string aad = s3::ObjectAad(bucket, key, info.version_id);
    Result<std::string> object_key = std::string();
    if (sse->second == "AES256") {
      if (sse_s3_key_.empty()) return cannot_open();
      object_key = s3::UnwrapSseS3DataKey(sse_s3_key_, wrapped->second, aad);
    } else if (sse->second == "aws:kms") {
      auto arn = kms::CiphertextKeyArn(wrapped->second);
      if (!arn.ok()) return Status::Error("EncryptedObject", where + ": its data key is malformed");
      auto material = kms_.find(*arn);
      if (material == kms_.end()) return cannot_open();
      auto extra = attrs.find(s3::kAttrSseContext);
      object_key = kms::DecodeCiphertext(
          wrapped->second, material->second,
          s3::ObjectKmsContext(bucket, key, extra == attrs.end() ? std::string() : extra->second));
    } else {
      return cannot_open();
    }
    // A stored object that does not open is damage to the stored bytes,
    // not a missing file: it aborts the run like any read error.
    if (!object_key.ok()) {
      return Status::Error("EncryptedObject", where + ": its data key does not open");
    }
    if (!crypto::AesGcmOpenInPlace(*object_key, bytes, aad).ok()) {
      return Status::Error("EncryptedObject", where + ": ciphertext failed authentication");
    }
  }
  return Status::Ok();
}

Status ObjectStoreBucketReader::Get(const std::string& bucket, const std::string& key,
                                    std::map<std::string, std::string>* metadata,
                                    const std::function<void(std::string_view)>& on_bytes) {
  std::string bytes;
  OT_RETURN_IF_ERROR(GetWhole(bucket, key, metadata, &bytes));
  constexpr size_t kChunk = 1 << 20;
  std::string_view all = bytes;
  for (size_t off = 0; off < all.size(); off += kChunk) on_bytes(all.substr(off, kChunk));
  return Status::Ok();
}

}  // namespace orgtrail::validate
