// SABOT_SANITIZER_ALLOCATOR: defined when a sanitizer (ASan, TSan) replaces malloc.
#pragma once

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define SABOT_SANITIZER_ALLOCATOR 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define SABOT_SANITIZER_ALLOCATOR 1
#endif
