// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Notify",
    products: [
        .executable(name: "notify-fcgi", targets: ["FCGIHandler"]),
        .executable(name: "notify-sweep", targets: ["NotifySweep"]),
        .executable(name: "notifyctl", targets: ["NotifyCtl"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    ],
    targets: [
        .systemLibrary(name: "CFastCGI", providers: [.apt(["libfcgi-dev"])]),
        .systemLibrary(name: "CPostgres", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .target(
            name: "NotifyDomain",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "NotifyLogging",
            dependencies: ["NotifyDomain", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "NotifyStore",
            dependencies: ["CPostgres", "NotifyDomain", .product(name: "Crypto", package: "swift-crypto")],
            resources: [.copy("Migrations")]
        ),
        .executableTarget(
            name: "FCGIHandler",
            dependencies: [
                "CFastCGI", "NotifyDomain", "NotifyStore", "NotifyLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("openapi.json")]
        ),
        .executableTarget(
            name: "NotifySweep",
            dependencies: [
                "CCurl", "NotifyDomain", "NotifyStore", "NotifyLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "NotifyCtl",
            dependencies: [
                "NotifyDomain", "NotifyStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "NotifyDomainTests", dependencies: ["NotifyDomain"]),
        .target(name: "NotifyTestSupport", dependencies: ["NotifyStore"], path: "Tests/NotifyTestSupport"),
        .testTarget(name: "NotifyStoreTests", dependencies: ["NotifyStore", "NotifyDomain", "NotifyTestSupport"]),
        .testTarget(
            name: "NotifySweepTests", dependencies: ["NotifySweep", "NotifyDomain", "NotifyStore", "NotifyTestSupport"]),
        .testTarget(
            name: "FCGIHandlerTests", dependencies: ["FCGIHandler", "NotifyDomain", "NotifyStore", "NotifyTestSupport"]),
        .testTarget(name: "NotifyFuzzTests", dependencies: ["NotifyDomain"]),
    ],
    swiftLanguageModes: [.v5]
)
