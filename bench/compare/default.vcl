vcl 4.1;

# Varnish 7.1 (Debian bookworm's varnish package) in front of the test
# origin, for bench/compare.sh, which replaces @ORIGIN_HOST@ and
# @ORIGIN_PORT@. The rest is Varnish's built-in VCL, unchanged: GET and HEAD
# without Cookie or Authorization are looked up in the cache; responses are
# cached for their Cache-Control max-age (the origin always sends one);
# concurrent misses for one object wait on its waiting list while one fetch
# goes to the origin (request collapsing, on by default); bodies are
# streamed to the viewers while they are fetched (do_stream, the default).
#
# Storage, threads and listen addresses are varnishd options, set in
# compare.sh: -s malloc,512m (memory) or -s file,<path>,2g (the "disk"
# round), default thread pools (2 pools of 100..5000 threads), -a
# 127.0.0.1:<port>, -T none (no management port). Varnish writes every
# request to its in-memory shared log (VSL) as it always does; nothing reads
# it (no varnishncsa), so there is no access log, as for Pharos.
#
# Hit indicator used by compare.sh: X-Varnish carries two transaction ids on
# a hit ("32770 3") and one on a miss.

backend origin {
    .host = "@ORIGIN_HOST@";
    .port = "@ORIGIN_PORT@";
}
