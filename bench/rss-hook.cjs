// Loaded with --require by bench/run.mjs: writes the process's peak RSS (KiB) to $RAPPORT_RSS_FILE at exit.
const fs = require('node:fs');
process.on('exit', () => {
  if (process.env.RAPPORT_RSS_FILE) fs.writeFileSync(process.env.RAPPORT_RSS_FILE, String(process.resourceUsage().maxRSS));
});
