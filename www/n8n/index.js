// n8n loads the files listed in package.json's "n8n" section; nothing to export here.
module.exports = {};
