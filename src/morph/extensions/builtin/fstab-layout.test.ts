import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderExtlinuxConfig } from './extlinux-config.js';
import { completeFstab, parseFstab } from './fstab-layout.js';

test('an empty fstab gets the root and every state directory', () => {
  const result = completeFstab('', 'UUID=abc');
  assert.deepEqual(result.stateDirs, ['home', 'root', 'opt', 'srv', 'var']);
  assert.equal(
    result.text,
    '# Morph default system layout\n' +
      'UUID=abc  / btrfs defaults,rw,noatime 0 1\n' +
      'UUID=abc  /home  btrfs subvol=/state/home,defaults,rw,noatime 0 2\n' +
      'UUID=abc  /root  btrfs subvol=/state/root,defaults,rw,noatime 0 2\n' +
      'UUID=abc  /opt  btrfs subvol=/state/opt,defaults,rw,noatime 0 2\n' +
      'UUID=abc  /srv  btrfs subvol=/state/srv,defaults,rw,noatime 0 2\n' +
      'UUID=abc  /var  btrfs subvol=/state/var,defaults,rw,noatime 0 2\n',
  );
});

test('existing entries are kept and used; a missing final newline is added', () => {
  const text = '# comment /home\n/dev/vda / ext4 defaults 0 1\n/dev/vdb /home ext4 defaults 0 2';
  const result = completeFstab(text, 'UUID=abc');
  assert.equal(result.rootDevice, '/dev/vda');
  assert.deepEqual(result.stateDirs, ['root', 'opt', 'srv', 'var']);
  assert.ok(result.text.startsWith(`${text}\n# Morph default system layout\n/dev/vda  /root  btrfs`));
  assert.equal(parseFstab(result.text).get('/var'), '/dev/vda');
  const full = completeFstab(result.text, 'UUID=other');
  assert.equal(full.text, result.text);
  assert.deepEqual(full.stateDirs, []);
});

test('extlinux.conf boots systems/default, with initramfs and device tree when given', () => {
  const plain = renderExtlinuxConfig({ root: '/dev/sda', initramfs: false, dtb: false });
  assert.equal(
    plain,
    'default linux\ntimeout 1\nlabel linux\nkernel /systems/default/kernel\n' +
      'append rw init=/sbin/init rootfstype=btrfs rootflags=subvol=systems/default/run root=/dev/sda\n',
  );
  const full = renderExtlinuxConfig({ root: 'UUID=u', initramfs: true, dtb: true, kernelArgs: 'quiet' });
  assert.match(full, /\ninitrd \/systems\/default\/initramfs\ndevicetree \/systems\/default\/dtb\n/);
  assert.match(full, /root=UUID=u quiet\n$/);
});
