import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openDialogOptions, saveDialogOptions, savedPath, UNSAVED_QUESTION } from './dialog-options.js';

test('the open dialog filters by every format the app opens; a folder dialog opens folders', () => {
  const o = openDialogOptions({ kind: 'model' });
  assert.deepEqual(o.properties, ['openFile']);
  assert.deepEqual(o.filters?.[0].extensions, ['seprune', 'onnx', 'json', 'tflite']);
  assert.deepEqual(openDialogOptions({ kind: 'folder', title: 'Data' }), { title: 'Data', properties: ['openDirectory'] });
});

test('the save dialog writes .seprune files, asks before replacing, and adds the ending when left off', () => {
  const o = saveDialogOptions({ title: 'Save the session', defaultPath: '/home/me/work.seprune' });
  assert.equal(o.defaultPath, '/home/me/work.seprune');
  assert.deepEqual(o.filters, [{ name: 'SE Prune Studio project (.seprune)', extensions: ['seprune'] }]);
  assert.ok(o.properties?.includes('showOverwriteConfirmation'));
  assert.equal(saveDialogOptions(undefined).defaultPath, 'session.seprune');
  assert.equal(saveDialogOptions({ defaultPath: 7 as unknown as string }).defaultPath, 'session.seprune', 'only a string path is taken from the page');
  assert.equal(savedPath({ canceled: false, filePath: '/a/b' }), '/a/b.seprune');
  assert.equal(savedPath({ canceled: false, filePath: '/a/b.SEPRUNE' }), '/a/b.SEPRUNE');
  assert.equal(savedPath({ canceled: true, filePath: '/a/b' }), null);
  assert.equal(savedPath({ canceled: false }), null);
});

test('the unsaved-work question defaults to staying', () => {
  assert.equal(UNSAVED_QUESTION.defaultId, 1);
  assert.equal(UNSAVED_QUESTION.cancelId, 1);
  assert.match(UNSAVED_QUESTION.buttons![0], /Leave/);
});
