#ifndef NOTIFY_CCURL_SHIM_H
#define NOTIFY_CCURL_SHIM_H
#include <curl/curl.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

/* curl_easy_setopt and curl_multi_setopt are variadic, which Swift cannot call: one typed
   wrapper per argument kind. */
static inline CURLcode notify_easy_setopt_long(CURL *easy, CURLoption option, long value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode notify_easy_setopt_string(CURL *easy, CURLoption option, const char *value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode notify_easy_setopt_pointer(CURL *easy, CURLoption option, void *value) {
    return curl_easy_setopt(easy, option, value);
}
static inline CURLcode notify_easy_setopt_write_callback(CURL *easy, curl_write_callback callback) {
    return curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, callback);
}
static inline CURLcode notify_easy_setopt_opensocket_callback(CURL *easy, curl_opensocket_callback callback) {
    return curl_easy_setopt(easy, CURLOPT_OPENSOCKETFUNCTION, callback);
}
static inline CURLMcode notify_multi_setopt_long(CURLM *multi, CURLMoption option, long value) {
    return curl_multi_setopt(multi, option, value);
}
static inline CURLcode notify_easy_getinfo_long(CURL *easy, CURLINFO info, long *value) {
    return curl_easy_getinfo(easy, info, value);
}
static inline CURLcode notify_easy_getinfo_double(CURL *easy, CURLINFO info, double *value) {
    return curl_easy_getinfo(easy, info, value);
}
static inline CURLcode notify_easy_getinfo_off_t(CURL *easy, CURLINFO info, curl_off_t *value) {
    return curl_easy_getinfo(easy, info, value);
}
static inline CURLcode notify_easy_getinfo_pointer(CURL *easy, CURLINFO info, void **value) {
    return curl_easy_getinfo(easy, info, value);
}

/* CURLMsg carries its result in an anonymous union; read it here rather than rely on how Swift
   imports the union. */
static inline CURLcode notify_msg_result(const CURLMsg *message) {
    return message->data.result;
}

/* Copies the IP address of the socket address libcurl is about to connect to into `bytes` (room
   for 16) and returns how many bytes it copied: 4 for IPv4, 16 for IPv6, 0 for any other family
   or a too-short address. Done in C because the address is a variable-size sockaddr whose layout
   depends on its family; libcurl's storage behind `addr` holds `addrlen` bytes (a whole
   sockaddr_in6), although the declared field is only a `struct sockaddr`. */
static inline int notify_sockaddr_ip_bytes(const struct curl_sockaddr *address, unsigned char *bytes) {
    if (address->family == AF_INET && address->addrlen >= sizeof(struct sockaddr_in)) {
        const struct sockaddr_in *ipv4 = (const struct sockaddr_in *)(const void *)&address->addr;
        memcpy(bytes, &ipv4->sin_addr, 4);
        return 4;
    }
    if (address->family == AF_INET6 && address->addrlen >= sizeof(struct sockaddr_in6)) {
        const struct sockaddr_in6 *ipv6 = (const struct sockaddr_in6 *)(const void *)&address->addr;
        memcpy(bytes, &ipv6->sin6_addr, 16);
        return 16;
    }
    return 0;
}
#endif
