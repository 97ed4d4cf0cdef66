<?php
// PHP script for the live tier: ?sleep=S sleeps S seconds, then answers "ok".
$s = isset($_GET['sleep']) ? (float) $_GET['sleep'] : 0.0;
usleep((int) ($s * 1000000));
echo "ok php\n";
