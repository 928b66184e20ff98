import { test } from 'node:test';
import assert from 'node:assert/strict';
import { baseName, dirName, joinPath } from './paths.js';

test('paths of the api machine: POSIX and Windows separators', () => {
  assert.equal(baseName('/home/me/work.seprune'), 'work.seprune');
  assert.equal(baseName('C:\\Users\\me\\work.seprune'), 'work.seprune');
  assert.equal(baseName('/home/me/'), '');
  assert.equal(dirName('/home/me/work.seprune'), '/home/me');
  assert.equal(dirName('C:\\Users\\me\\work.seprune'), 'C:\\Users\\me');
  assert.equal(dirName(''), '');
  assert.equal(joinPath('/home/me', 'a.seprune'), '/home/me/a.seprune');
  assert.equal(joinPath('/', 'a.seprune'), '/a.seprune');
  assert.equal(joinPath('C:\\Users\\me', 'a.seprune'), 'C:\\Users\\me\\a.seprune');
  assert.equal(joinPath('C:\\', 'a.seprune'), 'C:\\a.seprune');
});
