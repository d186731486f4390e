import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { describe, expect, it } from '@jest/globals';

@Injectable()
class Foo { value = 1; }
@Module({ providers: [Foo] })
class M {}

describe('smoke', () => {
  it('boots nest', async () => {
    const ref = await Test.createTestingModule({ imports: [M] }).compile();
    await ref.init();
    expect(ref.get(Foo).value).toBe(1);
    await ref.close();
  });
});
